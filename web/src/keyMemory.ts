/**
 * Keys issued during this visit, kept only in this page's memory (never storage), so the
 * playground can use one without the person pasting it. A reload forgets them, as it should:
 * the server shows a key once.
 */
const issued = new Map<string, { name: string; key: string }>();

export const rememberKey = (id: string, name: string, key: string) => issued.set(id, { name, key });
export const forgetKey = (id: string) => issued.delete(id);
export const rememberedKeys = () => [...issued.entries()].map(([id, k]) => ({ id, ...k }));

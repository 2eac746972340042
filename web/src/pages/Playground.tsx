import { FormEvent, useEffect, useRef, useState } from 'react';
import OpenAI from 'openai';
import { Card, Empty, ErrorNote } from '../components/ui';
import { rememberedKeys } from '../keyMemory';

interface Message {
  role: 'user' | 'assistant';
  content: string;
}

/**
 * Streams a chat completion through /v1 with the official OpenAI SDK, exactly as a developer's
 * code would (this page is loaded on demand, so the SDK is not in the initial bundle). The
 * conversation lives only in this component's state: it goes to /v1 and nowhere else, and is
 * gone when the page is left.
 */
export default function Playground() {
  const remembered = rememberedKeys();
  const [apiKey, setApiKey] = useState(remembered.at(-1)?.key ?? '');
  const [models, setModels] = useState<string[] | null>(null);
  const [model, setModel] = useState('');
  const [messages, setMessages] = useState<Message[]>([]);
  const [draft, setDraft] = useState('');
  const [streaming, setStreaming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const abort = useRef<AbortController | null>(null);

  const client = (key: string) => new OpenAI({ apiKey: key, baseURL: `${window.location.origin}/v1`, dangerouslyAllowBrowser: true, maxRetries: 0 });

  useEffect(() => {
    if (!apiKey.startsWith('tg_')) return setModels(null);
    let live = true;
    client(apiKey)
      .models.list()
      .then(
        (page) => {
          if (!live) return;
          const ids = page.data.map((m) => m.id);
          setModels(ids);
          setModel((m) => (ids.includes(m) ? m : (ids[0] ?? '')));
          setError(null);
        },
        (err: unknown) => live && setError(sdkMessage(err)),
      );
    return () => {
      live = false;
    };
  }, [apiKey]);

  useEffect(() => () => abort.current?.abort(), []);

  async function send(e: FormEvent) {
    e.preventDefault();
    if (!draft.trim() || !model) return;
    const history: Message[] = [...messages, { role: 'user', content: draft }];
    setMessages([...history, { role: 'assistant', content: '' }]);
    setDraft('');
    setError(null);
    setStreaming(true);
    abort.current = new AbortController();
    try {
      const stream = await client(apiKey).chat.completions.create({ model, messages: history, stream: true }, { signal: abort.current.signal });
      for await (const chunk of stream) {
        const delta = chunk.choices[0]?.delta?.content ?? '';
        if (delta) setMessages((all) => [...all.slice(0, -1), { role: 'assistant', content: all[all.length - 1].content + delta }]);
      }
    } catch (err) {
      if (!abort.current.signal.aborted) setError(sdkMessage(err));
    } finally {
      setStreaming(false);
    }
  }

  return (
    <>
      <h1>Playground</h1>
      <Card title="Model and key">
        <div className="grid-form">
          <label>
            API key
            {remembered.length > 0 ? (
              <select aria-label="API key" value={apiKey} onChange={(e) => setApiKey(e.target.value)}>
                {remembered.map((k) => (
                  <option key={k.id} value={k.key}>
                    {k.name} (created this visit)
                  </option>
                ))}
              </select>
            ) : (
              <input aria-label="API key" type="password" autoComplete="off" placeholder="tg_live_…" value={apiKey} onChange={(e) => setApiKey(e.target.value.trim())} />
            )}
          </label>
          <label>
            Model
            <select aria-label="Model" value={model} onChange={(e) => setModel(e.target.value)} disabled={!models || models.length === 0}>
              {(models ?? []).map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
          </label>
        </div>
        {models && models.length === 0 ? <Empty>No model is live on the network right now.</Empty> : null}
        {!apiKey ? <p className="muted small">Create a key on the API keys page (it is offered here for this visit), or paste one.</p> : null}
      </Card>
      <Card title="Conversation">
        <p className="muted small">Kept only in this page; nothing is saved. Each reply is charged like any API call.</p>
        <ol className="chat" aria-live="polite" data-testid="chat">
          {messages.map((m, i) => (
            <li key={i} className={m.role} data-testid={`message-${m.role}`}>
              <span className="who">{m.role === 'user' ? 'You' : 'Model'}</span>
              <span className="text">{m.content || (streaming && i === messages.length - 1 ? '…' : '')}</span>
            </li>
          ))}
        </ol>
        <ErrorNote error={error} />
        <form className="composer" onSubmit={send}>
          <label className="grow">
            <span className="visually-hidden">Message</span>
            <textarea rows={2} value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="Say something…" />
          </label>
          {streaming ? (
            <button type="button" className="secondary" onClick={() => abort.current?.abort()}>
              Stop
            </button>
          ) : (
            <button type="submit" className="primary" disabled={!model || !draft.trim()}>
              Send
            </button>
          )}
          <button type="button" className="secondary" onClick={() => setMessages([])} disabled={streaming || messages.length === 0}>
            Clear
          </button>
        </form>
      </Card>
    </>
  );
}

function sdkMessage(err: unknown): string {
  if (err instanceof OpenAI.APIError) {
    if (err.status === 401) return 'This API key is not valid (revoked, expired or mistyped).';
    if (err.status === 402) return 'Not enough credits. Top up to continue.';
    if (err.status === 429) return 'Rate limit reached for this key. Wait a moment.';
    return err.message;
  }
  return 'Cannot reach the API. Check your connection and try again.';
}

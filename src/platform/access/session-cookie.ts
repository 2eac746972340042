/**
 * The cookie that carries the access JWT to every dashboard route (auth/session.cookies.ts sets it
 * and the refresh cookie). Platform because every signed-in route documents it (ApiCookieAuth).
 */
export const SESSION_COOKIE = 'tg_session';

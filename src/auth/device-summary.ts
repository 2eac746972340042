/**
 * A coarse name for the device a session was started from ("Chrome on Linux"), shown in the
 * sessions list so a person can tell their sessions apart. Only the browser and system
 * families are kept: never the user agent itself, its versions or anything finer (P16 keeps
 * the full user agent sealed in the SignedIn event only).
 */
const BROWSERS: [RegExp, string][] = [
  [/\bEdg(e|A|iOS)?\//, 'Edge'],
  [/\bOPR\/|\bOpera\b/, 'Opera'],
  [/\bFirefox\/|\bFxiOS\//, 'Firefox'],
  [/Chrom(e|ium)\/|\bCriOS\//, 'Chrome'], // HeadlessChrome too
  [/\bSafari\//, 'Safari'],
  [/^curl\//, 'curl'],
  [/^node-fetch|^undici|^node\b|^axios\//i, 'a script'],
  [/^(OpenAI|python-requests|python-httpx)/i, 'a script'],
];
const SYSTEMS: [RegExp, string][] = [
  [/\b(iPhone|iPad|iPod)\b/, 'iOS'],
  [/\bAndroid\b/, 'Android'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bLinux\b/, 'Linux'],
];
export const UNKNOWN_DEVICE = 'Unknown device';

export function deviceSummary(userAgent: string | null): string {
  if (!userAgent) return UNKNOWN_DEVICE;
  const browser = BROWSERS.find(([re]) => re.test(userAgent))?.[1] ?? null;
  const system = SYSTEMS.find(([re]) => re.test(userAgent))?.[1] ?? null;
  if (browser && system) return `${browser} on ${system}`;
  return browser ?? (system ? `A browser on ${system}` : UNKNOWN_DEVICE);
}

import { invalid } from '../../platform/errors/domain-error';
import { verhoeffValid } from './verhoeff';

/**
 * PAN: 5 letters, 4 digits, 1 letter. The 4th letter says who holds it: P person, C company,
 * H Hindu undivided family, F firm, A association of persons, T trust, B body of individuals,
 * L local authority, J artificial juridical person, G government.
 */
const PAN = /^[A-Z]{3}[PCHFATBLJG][A-Z][0-9]{4}[A-Z]$/;
/** Aadhaar: 12 digits, never starting with 0 or 1, the last one a Verhoeff check digit. */
const AADHAAR = /^[2-9][0-9]{11}$/;
/** Longest input read before normalising (spaces and dashes allowed in Aadhaar). */
const INPUT_MAX = 20;

export function normalisePan(raw: string): string {
  if (raw.length > INPUT_MAX) throw invalid('invalid_pan', 'pan must be 10 characters such as ABCPE1234F.');
  const pan = raw.trim().toUpperCase();
  if (!/^[A-Z]{5}[0-9]{4}[A-Z]$/.test(pan)) throw invalid('invalid_pan', 'pan must be 5 letters, 4 digits and a letter, such as ABCPE1234F.');
  if (!PAN.test(pan)) throw invalid('invalid_pan', "pan's 4th letter must be a holder type (P, C, H, F, A, T, B, L, J or G).");
  return pan;
}

export function normaliseAadhaar(raw: string): string {
  if (raw.length > INPUT_MAX) throw invalid('invalid_aadhaar', 'aadhaar must be 12 digits.');
  const aadhaar = raw.replace(/[\s-]/g, '');
  if (!/^[0-9]{12}$/.test(aadhaar)) throw invalid('invalid_aadhaar', 'aadhaar must be 12 digits.');
  if (!AADHAAR.test(aadhaar)) throw invalid('invalid_aadhaar', 'aadhaar never starts with 0 or 1.');
  if (!verhoeffValid(aadhaar)) throw invalid('invalid_aadhaar', "aadhaar's check digit does not match; check the number.");
  return aadhaar;
}

/** `ABCDE****F`: enough to tell documents apart in support, not enough to use one. */
export const maskPan = (pan: string): string => `${pan.slice(0, 5)}****${pan.slice(9)}`;
/** `XXXX XXXX 1234`, the form UIDAI's own masked Aadhaar uses. */
export const maskAadhaar = (aadhaar: string): string => `XXXX XXXX ${aadhaar.slice(8)}`;

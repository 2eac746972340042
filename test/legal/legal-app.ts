import { LegalConfig } from '../../src/platform/config/config';

/** Test settings: no notice period (a version may take effect in seconds), a fast notice sweep. */
export const TEST_LEGAL: LegalConfig = { noticeDays: 0, termsVersion: 't-1', privacyVersion: 'p-1', providerTermsVersion: 'pt-1', noticeSweepIntervalMs: 300 };

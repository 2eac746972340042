/**
 * What the balance feeder needs to know of the usage charges: the prefix of their streams (each
 * charge carries postings) and the type of the day summary that restates charges already applied.
 * metering/ owns those events and provides this as USAGE_MONEY_EVENTS (the global
 * MeteringPortsModule): ledger/ must not import metering/, whose charges are built on ledger/'s
 * postings and holds.
 */
export interface UsageMoneyEvents {
  streamPrefix: string;
  daySummaryType: string;
}
export const USAGE_MONEY_EVENTS = Symbol('UsageMoneyEvents');

import type { Scenario } from '../context';

export const scenarios: Scenario[] = [];

import type { Scenario } from '../context';
import { scenarios as account } from './account';
import { scenarios as money } from './money';
import { scenarios as nodes } from './nodes';
import { scenarios as payments } from './payments';
import { scenarios as v1 } from './v1';

export const SCENARIOS: Scenario[] = [...account, ...money, ...nodes, ...payments, ...v1];

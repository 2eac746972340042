import { Projector } from '../src/projection-runtime/projector';
import { streamIndexProjection } from './stream-index.projection';

/** Every read model the runner maintains, rebuilds and verifies. */
export const projectors: readonly Projector[] = [streamIndexProjection];

import { Decider, DomainEvent } from '../../src/platform/event-sourcing/decider';

/** Given events / when command / then events (or then a refusal), as Emmett's DeciderSpecification. */
export function given<S, C, E extends DomainEvent>(decider: Decider<S, C, E>, events: E[]) {
  const state = events.reduce(decider.evolve, decider.initialState());
  return {
    when: (command: C) => ({
      then: (expected: E[]) => expect(decider.decide(command, state)).toEqual(expected),
      thenRefuses: (code: string) => {
        let error: unknown;
        try {
          decider.decide(command, state);
        } catch (err) {
          error = err;
        }
        expect(error).toMatchObject({ code });
      },
    }),
  };
}

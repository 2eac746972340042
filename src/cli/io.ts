/**
 * Where one run of the CLI reads its environment and writes its output. The entry point passes the
 * process's own; the tests pass their own, so a command runs in-process exactly as it runs alone.
 */
export interface CliIo {
  env: Record<string, string | undefined>;
  stdout(text: string): void;
  stderr(text: string): void;
}

export const processIo: CliIo = {
  env: process.env,
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

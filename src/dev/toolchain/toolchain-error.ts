/** A tool (Temporal CLI, server, schema tool) cannot be found or built: the message says how to provide it. */
export class ToolchainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolchainError';
  }
}

import type { AgentErrorCode } from "./protocol";

/** An error carrying an AgentErrorCode; the dispatcher turns it into a failed `result`. */
export class AgentError extends Error {
  readonly code: AgentErrorCode;
  constructor(code: AgentErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

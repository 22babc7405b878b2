import { type ChildProcess, fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";

const CHILD = fileURLToPath(new URL("./lambda-child.mjs", import.meta.url));

export interface Publish {
  phoneNumber: string;
  message: string;
  messageId: string;
}

export class InvocationTimeout extends Error {}

type ChildMessage =
  | { kind: "ready"; initMs: number }
  | { kind: "result"; id: string; result: unknown }
  | { kind: "error"; id: string; error: string }
  | ({ kind: "published" } & Publish);

/**
 * A function as Lambda runs it: its bundle loaded in a process of its own (cold start on first use),
 * invoked one event at a time with the function's timeout. An invocation that outlives it is killed with
 * its process, as Lambda ends a timed-out instance, and the next one starts cold.
 */
export class LambdaFunction {
  private child: ChildProcess | undefined;
  private ready: Promise<void> | undefined;
  private readonly pending = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** What the instance wrote to stdout (pino's JSON lines), across instances. */
  readonly logs: string[] = [];
  readonly publishes: Publish[] = [];
  coldStarts = 0;

  constructor(
    private readonly bundle: { file: string; dir: string },
    private readonly env: Record<string, string>,
    private readonly timeoutMs: number,
  ) {}

  async invoke<T>(event: unknown): Promise<T> {
    const child = await this.instance();
    const id = randomUUID();
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.kill();
        reject(new InvocationTimeout(`timed out after ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      child.send({ id, event, deadline: Date.now() + this.timeoutMs });
    });
  }

  /** Log lines parsed, for asserting what the function reported. */
  logged(): Record<string, unknown>[] {
    return this.logs.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  }

  /**
   * Set: the instance is ended the moment SNS takes a Publish, and its invocation times out, as Lambda ends
   * one whose timeout comes while it waits for SNS's answer. Exact, where a short timeout races the work
   * before the Publish on a busy machine.
   */
  endsWhenItPublishes = false;

  kill(reason: Error = new Error("instance ended")): void {
    this.child?.kill("SIGKILL");
    this.child = undefined;
    this.ready = undefined;
    for (const { reject } of this.pending.values()) reject(reason);
    this.pending.clear();
  }

  private async instance(): Promise<ChildProcess> {
    if (!this.ready) {
      this.coldStarts += 1;
      const child = fork(CHILD, [this.bundle.file, this.env.AWS_REGION ?? ""], {
        cwd: this.bundle.dir,
        env: this.env,
        stdio: ["ignore", "pipe", "pipe", "ipc"],
      });
      this.child = child;
      let buffered = "";
      child.stdout?.on("data", (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split("\n");
        buffered = lines.pop() ?? "";
        this.logs.push(...lines.filter(Boolean));
      });
      let stderr = "";
      child.stderr?.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      this.ready = new Promise<void>((resolve, reject) => {
        child.on("message", (message: ChildMessage) => {
          if (message.kind === "ready") resolve();
          else if (message.kind === "published") {
            this.publishes.push(message);
            if (this.endsWhenItPublishes) this.kill(new InvocationTimeout("ended while SNS was answering"));
          } else if (message.kind === "result") this.pending.get(message.id)?.resolve(message.result);
          else if (message.kind === "error") this.pending.get(message.id)?.reject(new Error(message.error));
        });
        child.on("exit", (code, signal) => {
          if (signal !== "SIGKILL")
            reject(new Error(`instance exited (${code ?? signal}) during init: ${stderr}`));
        });
      });
    }
    await this.ready;
    return this.child as ChildProcess;
  }
}

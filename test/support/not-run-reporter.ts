import type { Reporter, Vitest } from "vitest/node";
import { leftOut } from "./groups";

/**
 * Ends `npm test` with what it did not run and how to run it, so a green run on PGlite alone is not taken
 * for the whole suite.
 */
export default class NotRunReporter implements Reporter {
  private root = ".";
  onInit(vitest: Vitest) {
    this.root = vitest.config.root;
  }
  onTestRunEnd() {
    const groups = leftOut(this.root);
    if (groups.length === 0) return;
    const lines = ["", "Not run in this run:"];
    for (const group of groups) {
      lines.push(`  ${group.projects.join(", ")}: ${group.why}.`);
      if (group.files.length) lines.push(`    only there: ${group.files.join(", ")}`);
      lines.push(`    run them: ${group.how}`);
    }
    process.stdout.write(`${lines.join("\n")}\n`);
  }
}

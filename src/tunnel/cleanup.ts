// Setup steps register their undo here; a failure anywhere runs them all,
// newest first, so nothing is left behind.
export class Cleanup {
  private readonly steps: (() => unknown)[] = [];

  add(undo: () => unknown): void {
    this.steps.push(undo);
  }

  async run(): Promise<void> {
    for (const undo of this.steps.splice(0).reverse()) {
      try {
        await undo();
      } catch {
        // Undoing is best effort: the error that made us undo is the one to report.
      }
    }
  }
}

// Joins per address in a sliding minute: a class code is short, so guessing it must be slow.
export class JoinLimit {
  private readonly seen = new Map<string, number[]>();

  constructor(
    private readonly perWindow = 10,
    private readonly windowMs = 60_000,
  ) {}

  // True when this address may try once more now (the try is counted).
  allow(address: string): boolean {
    const now = Date.now();
    const recent = (this.seen.get(address) ?? []).filter((t) => now - t < this.windowMs);
    if (recent.length >= this.perWindow) {
      this.seen.set(address, recent);
      return false;
    }
    recent.push(now);
    this.seen.set(address, recent);
    if (this.seen.size > 10_000) this.forgetOld(now); // bounded, whatever a crowd of addresses does
    return true;
  }

  private forgetOld(now: number): void {
    for (const [a, ts] of this.seen) if (!ts.some((t) => now - t < this.windowMs)) this.seen.delete(a);
  }
}

// Wrong class codes per address in a sliding minute: a code is short, so guessing it must be slow. Right
// codes are not counted: a whole class behind one school router joins at once.
export class JoinLimit {
  private readonly misses = new Map<string, number[]>();

  constructor(
    private readonly perWindow = 10,
    private readonly windowMs = 60_000,
  ) {}

  // True when this address has used up its wrong guesses for now.
  blocked(address: string): boolean {
    const now = Date.now();
    const recent = (this.misses.get(address) ?? []).filter((t) => now - t < this.windowMs);
    if (recent.length) this.misses.set(address, recent);
    else this.misses.delete(address);
    return recent.length >= this.perWindow;
  }

  // Counts a wrong code from this address.
  missed(address: string): void {
    const now = Date.now();
    this.misses.set(address, [...(this.misses.get(address) ?? []), now]);
    if (this.misses.size > 10_000) this.forgetOld(now); // bounded, whatever a crowd of addresses does
  }

  private forgetOld(now: number): void {
    for (const [a, ts] of this.misses) if (!ts.some((t) => now - t < this.windowMs)) this.misses.delete(a);
  }
}

// A reporter listens to a run's events and displays them; it cannot change the outcome.
export interface Reporter {
  done(): Promise<void>; // resolves when everything it had to show or write is out
}

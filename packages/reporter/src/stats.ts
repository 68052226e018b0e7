/** A running summary of numbers (batch sizes, latencies). */
export interface Summary {
  readonly count: number;
  readonly last: number;
  readonly max: number;
  readonly avg: number;
}

/** Accumulates a {@link Summary} in constant memory. */
export class SummaryCounter {
  #count = 0;
  #last = 0;
  #max = 0;
  #sum = 0;

  add(value: number): void {
    this.#count++;
    this.#last = value;
    if (value > this.#max) this.#max = value;
    this.#sum += value;
  }

  snapshot(): Summary {
    return { count: this.#count, last: this.#last, max: this.#max, avg: this.#count === 0 ? 0 : this.#sum / this.#count };
  }
}

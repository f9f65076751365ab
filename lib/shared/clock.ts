/** Seconds since the epoch: the unit of JWT times and of the table's TTL attribute. */
export function epochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

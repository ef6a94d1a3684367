// Monthly spend limits without overshoot: every job reserves its estimate (the most it can cost) against the
// tenant's month before it is queued, in one conditional write, and the reservation is replaced by the real
// cost (0 when not billed) once the job is final. A burst of parallel submissions therefore cannot pass the
// limit: every reservation is checked against everything committed before it. Jobs of tenants without a limit
// reserve too (unconditionally), so the month's committed spend is complete when a limit is set mid-month.

export interface SpendReservation {
  reserved: boolean;
  /** Committed spend of the month after the call (settled costs plus open reservations), in micros. */
  committedMicros: number;
}

export interface SpendLedger {
  /**
   * Reserves `micros` of the tenant's `month` (YYYY-MM) for the job while the committed spend plus `micros` stays
   * within `limitMicros` (null: no limit, always reserved). Not reserved: the limit would be passed (nothing is written).
   */
  reserveSpend(tenant: string, month: string, jobId: string, micros: number, limitMicros: number | null): Promise<SpendReservation>;
  /** Replaces the job's reservation by `actualMicros`; at most once per job; nothing when it holds none. */
  settleSpend(tenant: string, month: string, jobId: string, actualMicros: number): Promise<void>;
  /** The month's committed spend and the number of open reservations. */
  getSpend(tenant: string, month: string): Promise<{ committedMicros: number; openReservations: number }>;
}

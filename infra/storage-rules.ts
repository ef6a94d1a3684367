// Which S3 prefixes expire and when (docs/architecture.md §5). models/ never expires: workers fetch bundles from it.
import type { StageConfig } from './config.js';

export interface ExpiryRule {
  id: string;
  prefix: string;
  days: number;
}

export const NEVER_EXPIRING_PREFIXES: readonly string[] = ['models/'];

export function expiryRules(retention: StageConfig['retention']): ExpiryRule[] {
  return [
    { id: 'expire-uploads', prefix: 'uploads/', days: retention.uploadsDays },
    { id: 'expire-inputs', prefix: 'inputs/', days: retention.inputsDays },
    { id: 'expire-outputs', prefix: 'outputs/', days: retention.outputsDays },
  ];
}

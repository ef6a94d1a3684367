// Time-sortable ids (`job_01J…`): 48-bit millisecond time then 80 random bits, Crockford base32, like ULID.
// Sorting ids as strings sorts them by creation time, which is what makes a tenant's job list one query.
// Ours rather than the `ulid` package: the same encoding (checked against the spec's vector in ids.test.ts) plus
// the prefixes, the format check and idTime we need anyway; its monotonic factory throws once the 80 random bits
// overflow within a millisecond (this rolls into the next one) and draws one random value per character.

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TIME_CHARS = 10;
const RANDOM_BYTES = 10;
const BODY_LENGTH = 26;
const MAX_TIME = 2 ** 48 - 1;

export const ID_PREFIXES = ['job', 'upl', 'evt', 'req', 'key'] as const;
export type IdPrefix = (typeof ID_PREFIXES)[number];

export interface IdGeneratorOptions {
  now?: () => number;
  /** Fills the array with random bytes; Web Crypto by default. */
  randomBytes?: (target: Uint8Array<ArrayBuffer>) => void;
}

export interface IdGenerator {
  next(prefix: IdPrefix): string;
}

function encodeTime(ms: number): string {
  let rest = ms;
  let out = '';
  for (let i = 0; i < TIME_CHARS; i += 1) {
    out = ALPHABET.charAt(rest % 32) + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

/** 40 bits (five bytes from `at`) → 8 base32 characters; 40 bits fit a double exactly. */
function encode40(bytes: Uint8Array, at: number): string {
  let value = 0;
  for (let i = at; i < at + 5; i += 1) value = value * 256 + (bytes[i] ?? 0);
  let out = '';
  for (let i = 0; i < 8; i += 1) {
    out = ALPHABET.charAt(value % 32) + out;
    value = Math.floor(value / 32);
  }
  return out;
}

/** 80 bits → 16 base32 characters, most significant first (two 40-bit halves: 40 is a multiple of 5). */
function encodeRandom(bytes: Uint8Array): string {
  return encode40(bytes, 0) + encode40(bytes, 5);
}

/**
 * Web Crypto random bytes drawn from a pool filled 4 KiB at a time: one getRandomValues call costs about as much
 * for 4 KiB as for 10 bytes, and a busy API makes two ids per request. The bytes are the same CSPRNG output.
 */
function pooledRandom(): (target: Uint8Array<ArrayBuffer>) => void {
  const pool = new Uint8Array(4096);
  let used = pool.length;
  return (target) => {
    if (used + target.length > pool.length) {
      crypto.getRandomValues(pool);
      used = 0;
    }
    // Each byte is handed out once: `used` only moves forward until the pool is refilled.
    target.set(pool.subarray(used, used + target.length));
    used += target.length;
  };
}

/** Adds one to a big-endian byte string; false when it wrapped around. */
function increment(bytes: Uint8Array): boolean {
  for (let i = bytes.length - 1; i >= 0; i -= 1) {
    const byte = bytes[i] ?? 0;
    if (byte < 255) {
      bytes[i] = byte + 1;
      return true;
    }
    bytes[i] = 0;
  }
  return false;
}

export function createIdGenerator(options: IdGeneratorOptions = {}): IdGenerator {
  const now = options.now ?? Date.now;
  const fill = options.randomBytes ?? pooledRandom();
  let lastTime = -1;
  const lastRandom = new Uint8Array(RANDOM_BYTES);

  return {
    next(prefix) {
      let time = Math.min(Math.max(Math.floor(now()), 0), MAX_TIME);
      // Within one millisecond (or if the clock steps back) keep order by counting up from the last id.
      if (time <= lastTime) {
        time = lastTime;
        if (!increment(lastRandom)) {
          time = Math.min(lastTime + 1, MAX_TIME);
          fill(lastRandom);
        }
      } else {
        fill(lastRandom);
      }
      lastTime = time;
      return `${prefix}_${encodeTime(time)}${encodeRandom(lastRandom)}`;
    },
  };
}

const shared = createIdGenerator();

export const newJobId = (): string => shared.next('job');
export const newUploadId = (): string => shared.next('upl');
export const newEventId = (): string => shared.next('evt');
export const newRequestId = (): string => shared.next('req');
export const newKeyId = (): string => shared.next('key');

const BODY = `[${ALPHABET}]{${BODY_LENGTH}}`;
const PATTERNS: Record<IdPrefix, RegExp> = {
  job: new RegExp(`^job_${BODY}$`),
  upl: new RegExp(`^upl_${BODY}$`),
  evt: new RegExp(`^evt_${BODY}$`),
  req: new RegExp(`^req_${BODY}$`),
  key: new RegExp(`^key_${BODY}$`),
};

/** True for a well-formed id of that kind (use before touching storage with a client-supplied id). */
export function isId(prefix: IdPrefix, value: string): boolean {
  const pattern = PATTERNS[prefix];
  if (!pattern.test(value)) return false;
  // The first character holds only the top three bits of a 48-bit time.
  return ALPHABET.indexOf(value.charAt(prefix.length + 1)) <= 7;
}

/** Creation time (ms since the epoch) encoded in an id. */
export function idTime(id: string): number {
  const body = id.slice(id.indexOf('_') + 1, id.indexOf('_') + 1 + TIME_CHARS);
  let ms = 0;
  for (const char of body) ms = ms * 32 + ALPHABET.indexOf(char);
  return ms;
}

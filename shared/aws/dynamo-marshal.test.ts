// The JSON-protocol marshaller: exact AttributeValues, the document client's marshall() (with the table's
// settings) as a reference on generated values, and refusals of what DynamoDB cannot hold exactly.
import { marshall } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { marshallItem, marshallValue, numberAttribute } from './dynamo-marshal.js';

describe('marshallItem', () => {
  it('maps every supported type and leaves undefined out', () => {
    expect(
      marshallItem({
        s: 'text',
        empty: '',
        n: 7,
        f: -0.25,
        t: true,
        nil: null,
        gone: undefined,
        list: [1, 'a', undefined, null, [false]],
        map: { inner: { deep: 'x' }, skip: undefined },
        bytes: new Uint8Array([0, 255, 16]),
      }),
    ).toEqual({
      s: { S: 'text' },
      empty: { S: '' },
      n: { N: '7' },
      f: { N: '-0.25' },
      t: { BOOL: true },
      nil: { NULL: true },
      list: { L: [{ N: '1' }, { S: 'a' }, { NULL: true }, { L: [{ BOOL: false }] }] },
      map: { M: { inner: { M: { deep: { S: 'x' } } } } },
      bytes: { B: 'AP8Q' },
    });
  });

  it('agrees with the document client marshall() on JSON-like values', () => {
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.string(),
        fc.integer(),
        fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), tie('value'), { maxKeys: 4 }),
      ),
    })).value;
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), json, { maxKeys: 6 }), (item) => {
        let expected;
        try {
          expected = marshall(item, { removeUndefinedValues: true, convertClassInstanceToMap: false });
        } catch {
          // Both refuse numbers beyond the safe integers.
          expect(() => marshallItem(item)).toThrow(TypeError);
          return;
        }
        expect(marshallItem(item)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['an unsafe integer', 2 ** 60],
    ['a huge double', -1e300],
    ['a class instance', new Date(0)],
    ['a function', () => 1],
    ['a bigint', 1n],
  ])('refuses %s', (_label, value) => {
    expect(() => marshallValue({ nested: [value] }, 'job')).toThrow(TypeError);
  });
});

describe('numberAttribute', () => {
  it('reads an N attribute and answers 0 for anything else', () => {
    expect(numberAttribute({ count: { N: '42' } }, 'count')).toBe(42);
    expect(numberAttribute({ count: { N: '-1.5' } }, 'count')).toBe(-1.5);
    expect([numberAttribute(undefined, 'count'), numberAttribute({}, 'count'), numberAttribute({ count: { S: '4' } }, 'count'), numberAttribute({ count: { N: 'x' } }, 'count')]).toEqual([
      0, 0, 0, 0,
    ]);
  });
});

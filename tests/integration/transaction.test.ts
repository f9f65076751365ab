import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ServiceUnavailableError } from '../../lib/shared/errors';
import { createTable, isTransactionConflict, putNew, transact } from '../../lib/store/table';

// The one transaction helper every store module writes through, against the real DynamoDB Local.
const table = createTable({ tableName: process.env.TABLE_NAME!, region: 'us-east-1', dynamodbEndpoint: process.env.DYNAMODB_ENDPOINT });
afterAll(() => table.client.destroy());

const key = () => ({ pk: `TXTEST#${randomUUID()}`, sk: 'ITEM' });
const read = async (itemKey: { pk: string; sk: string }) =>
  (await table.client.send(new GetCommand({ TableName: table.name, Key: itemKey, ConsistentRead: true }))).Item;
const exists = (itemKey: { pk: string; sk: string }) => ({
  ConditionCheck: { TableName: table.name, Key: itemKey, ConditionExpression: 'attribute_exists(pk)' },
});

describe('transact', () => {
  it('commits every item and answers no failed conditions', async () => {
    const [a, b] = [key(), key()];
    expect(await transact(table, [putNew(table, { ...a, n: 1 }), putNew(table, { ...b, n: 2 })])).toEqual([]);
    expect(await read(a)).toMatchObject({ n: 1 });
    expect(await read(b)).toMatchObject({ n: 2 });
  });

  it('names exactly the items whose conditions failed, and writes none of the items', async () => {
    const [taken, fresh, missing] = [key(), key(), key()];
    expect(await transact(table, [putNew(table, taken)])).toEqual([]);
    // Items 0 and 2 fail their conditions (taken exists, missing does not); item 1 alone would commit.
    expect(await transact(table, [putNew(table, { ...taken, n: 9 }), putNew(table, fresh), exists(missing)])).toEqual([0, 2]);
    expect(await read(fresh)).toBeUndefined();
    expect(await read(taken)).not.toHaveProperty('n');
  });

  it('throws what is no condition failure (a 503), which a conflict check can tell apart', async () => {
    // Two items on one key: DynamoDB refuses the request itself (ValidationException), never a condition.
    const same = key();
    await expect(transact(table, [putNew(table, same), exists(same)])).rejects.toThrow('input validation');
    // A conflict is told from the 503 guarded makes of it, not from a condition failure.
    const conflict = Object.assign(new Error('cancelled'), { name: 'TransactionCanceledException', CancellationReasons: [{ Code: 'TransactionConflict' }] });
    expect(isTransactionConflict(new ServiceUnavailableError({ cause: conflict }))).toBe(true);
  });
});

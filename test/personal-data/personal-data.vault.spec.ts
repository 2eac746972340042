import { PersonalDataVault } from '../../src/platform/personal-data/personal-data.vault';
import { createTestDatabase, TestDatabase } from '../support/database';

describe('personal data vault', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('vault');
  });
  afterAll(async () => {
    await database.drop();
  });

  it('seals per person: the text is not in the output, another person cannot open it, tampering is detected', async () => {
    const vault = new PersonalDataVault(database.db);
    const sealed = await vault.seal('person-1', 'ada@example.com');
    expect(sealed).toMatch(/^pd1\./);
    expect(sealed).not.toContain('ada');
    expect(await vault.seal('person-1', 'ada@example.com')).not.toBe(sealed); // fresh IV each time
    expect(await vault.open('person-1', sealed)).toBe('ada@example.com');
    await vault.seal('person-2', 'x');
    await expect(vault.open('person-2', sealed)).rejects.toThrow(); // bound to its subject (AAD) and key
    const tampered = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'BB' : 'AA');
    await expect(vault.open('person-1', tampered)).rejects.toThrow();
    expect(await vault.open('person-1', null)).toBeNull();
  });

  it('forgets a person when their key is shredded, in this and in a fresh process', async () => {
    const vault = new PersonalDataVault(database.db);
    const sealed = await vault.seal('person-3', '203.0.113.9');
    await database.db.updateTable('personal_data_keys').set({ key: null, shredded_at: new Date() }).where('subject_id', '=', 'person-3').execute();
    expect(await new PersonalDataVault(database.db).open('person-3', sealed)).toBeNull();
    const keys = await database.pool.query(`SELECT key FROM personal_data_keys WHERE subject_id = 'person-3'`);
    expect(keys.rows[0].key).toBeNull();
  });
});

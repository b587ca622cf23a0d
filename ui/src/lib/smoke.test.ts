import { describe, it, expect } from 'vitest';
describe('smoke', () => { it('runs', () => expect(1 + 1).toBe(2)); });

// Path and query parsing (digest §3.4): what the page sends as create properties.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parsePath,
  parseQuery,
  isGetterPath,
  isSetterPath,
  isMethodPath,
  bindingProperties,
  isTruthyFlag,
} from '../../resources/web/lunette/paths.js';

test('a path without a query has no properties', () => {
  assert.deepEqual(parsePath('contact.firstName'), { path: 'contact.firstName', query: {} });
});

test('query pairs become properties; a bare key means "true"', () => {
  assert.deepEqual(parsePath('searchQuery?keypress'), { path: 'searchQuery', query: { keypress: 'true' } });
  assert.deepEqual(parsePath('contacts()?wrapper=lua.ViewList&itemWrapper=ContactPresenter'), {
    path: 'contacts()',
    query: { wrapper: 'lua.ViewList', itemWrapper: 'ContactPresenter' },
  });
});

test('query values are URL-decoded, "+" is a space, an explicit empty value stays empty', () => {
  assert.deepEqual(parseQuery('a=x%20y&b=1+2&c='), { a: 'x y', b: '1 2', c: '' });
});

test('a stray percent sign is kept as written', () => {
  assert.deepEqual(parseQuery('a=100%'), { a: '100%' });
});

test('only the first "?" splits; empty pairs and empty keys are skipped', () => {
  assert.deepEqual(parsePath('x?a=1?2&&=3'), { path: 'x', query: { a: '1?2' } });
});

test('surrounding whitespace is ignored', () => {
  assert.deepEqual(parsePath('  name  '), { path: 'name', query: {} });
});

test('getter and setter endings', () => {
  assert.equal(isGetterPath('save()'), true);
  assert.equal(isGetterPath('a.total().b'), false);
  assert.equal(isGetterPath('setName(_)'), false);
  assert.equal(isSetterPath('setName(_)'), true);
  assert.equal(isSetterPath('name'), false);
  assert.equal(isMethodPath('x()'), true);
  assert.equal(isMethodPath('x(_)'), true);
  assert.equal(isMethodPath('x'), false);
});

test('binding properties: defaults, then the query, then the bare path', () => {
  const made = bindingProperties('count()?access=rw&priority=high', { access: 'r' });
  assert.deepEqual(made.properties, { access: 'rw', priority: 'high', path: 'count()' });
  assert.equal(made.path, 'count()');
  assert.deepEqual(made.local, {});
});

test('scrollOnOutput is handled by the page and not sent', () => {
  const made = bindingProperties('log?scrollOnOutput&keypress');
  assert.deepEqual(made.properties, { keypress: 'true', path: 'log' });
  assert.deepEqual(made.local, { scrollOnOutput: 'true' });
});

test('flags: only an explicit false/0/no/off turns a flag off', () => {
  assert.equal(isTruthyFlag('true'), true);
  assert.equal(isTruthyFlag(''), true);
  assert.equal(isTruthyFlag('1'), true);
  assert.equal(isTruthyFlag('false'), false);
  assert.equal(isTruthyFlag('0'), false);
  assert.equal(isTruthyFlag('No'), false);
  assert.equal(isTruthyFlag(undefined), false);
});

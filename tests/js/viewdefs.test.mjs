// Viewdef storage and the 3-tier lookup TYPE.ns → TYPE.fallbackNs → TYPE.DEFAULT (digest §6.2,
// §6.7).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ViewdefStore, viewdefCandidates } from '../../resources/web/lunette/viewdefs.js';

const tpl = (body) => `<template>${body}</template>`;
// A stand-in for the page's compiler: accepts what starts with <template>.
const compile = (key, html) => (html.trim().startsWith('<template') ? { key, html } : null);

test('candidates in lookup order, without empty or repeated namespaces', () => {
  assert.deepEqual(viewdefCandidates('Contact', 'customer-item', 'list-item'), [
    'Contact.customer-item',
    'Contact.list-item',
    'Contact.DEFAULT',
  ]);
  assert.deepEqual(viewdefCandidates('Contact', '', 'list-item'), ['Contact.list-item', 'Contact.DEFAULT']);
  assert.deepEqual(viewdefCandidates('Contact', undefined, undefined), ['Contact.DEFAULT']);
  assert.deepEqual(viewdefCandidates('Contact', 'DEFAULT', 'list-item'), ['Contact.DEFAULT', 'Contact.list-item']);
});

test('lookup takes the namespace first, then the fallback, then DEFAULT', () => {
  const store = new ViewdefStore({ compile });
  store.install(JSON.stringify({
    'Contact.DEFAULT': tpl('d'),
    'Contact.list-item': tpl('l'),
    'Contact.customer-item': tpl('c'),
    'lua.ViewList.list-item': tpl('v'),
  }));
  assert.equal(store.lookup('Contact', 'customer-item', 'list-item'), 'Contact.customer-item');
  assert.equal(store.lookup('Contact', 'other', 'list-item'), 'Contact.list-item');
  assert.equal(store.lookup('Contact', 'other', 'missing'), 'Contact.DEFAULT');
  assert.equal(store.lookup('Contact', '', ''), 'Contact.DEFAULT');
  assert.equal(store.lookup('lua.ViewList', 'customer-item', 'list-item'), 'lua.ViewList.list-item');
  assert.equal(store.lookup('lua.ViewList', 'customer-item', ''), null, 'no DEFAULT for it');
  assert.equal(store.lookup('Unknown', 'x', 'y'), null);
  assert.equal(store.lookup('', 'x', 'y'), null);
});

test('a type name with dots is matched whole', () => {
  const store = new ViewdefStore({ compile });
  store.install({ 'lua.ViewListItem.emergency-option': tpl('o') });
  assert.equal(store.lookup('lua.ViewListItem', 'emergency-option', 'list-item'), 'lua.ViewListItem.emergency-option');
  assert.equal(store.lookup('ViewListItem', 'emergency-option', ''), null);
});

test('install reports added and updated keys; identical HTML is no update', () => {
  const store = new ViewdefStore({ compile });
  assert.deepEqual(store.install(JSON.stringify({ 'A.DEFAULT': tpl('1'), 'B.DEFAULT': tpl('2') })), {
    added: ['A.DEFAULT', 'B.DEFAULT'],
    updated: [],
    invalid: [],
  });
  assert.deepEqual(store.install(JSON.stringify({ 'A.DEFAULT': tpl('1'), 'B.DEFAULT': tpl('changed') })), {
    added: [],
    updated: ['B.DEFAULT'],
    invalid: [],
  });
  assert.equal(store.html('B.DEFAULT'), tpl('changed'));
  assert.deepEqual(store.template('B.DEFAULT'), { key: 'B.DEFAULT', html: tpl('changed') });
});

test('invalid templates are rejected and reported; the old one stays', () => {
  const reports = [];
  const store = new ViewdefStore({ compile, onInvalid: (key, why) => reports.push(key) });
  store.install({ 'A.DEFAULT': tpl('ok') });
  const result = store.install({ 'A.DEFAULT': '<div>not a template</div>', 'B.DEFAULT': '<p>' });
  assert.deepEqual(result, { added: [], updated: [], invalid: ['A.DEFAULT', 'B.DEFAULT'] });
  assert.deepEqual(reports, ['A.DEFAULT', 'B.DEFAULT']);
  assert.equal(store.html('A.DEFAULT'), tpl('ok'));
  assert.equal(store.has('B.DEFAULT'), false);
});

test('an empty viewdefs property changes nothing; bad JSON is reported', () => {
  const reports = [];
  const store = new ViewdefStore({ compile, onInvalid: (key) => reports.push(key) });
  assert.deepEqual(store.install(''), { added: [], updated: [], invalid: [] });
  store.install('{not json');
  assert.deepEqual(reports, ['(viewdefs)']);
  assert.equal(store.size, 0);
});

// CSS hot swap: which <link> a changed-stylesheet notice means, and the cache-busting URL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cacheBustedHref, stylesheetPath, sameStylesheet } from '../../resources/web/lunette/stylesheets.js';

const base = 'http://127.0.0.1:8099/0123456789abcdef0123456789abcdef';

test('cache-busting query replaces an earlier one and keeps other parameters', () => {
  assert.equal(cacheBustedHref('/app.css', 5, base), 'http://127.0.0.1:8099/app.css?lunette-reload=5');
  assert.equal(
    cacheBustedHref('http://127.0.0.1:8099/app.css?theme=x&lunette-reload=5', 6, base),
    'http://127.0.0.1:8099/app.css?theme=x&lunette-reload=6',
  );
});

test('notice paths drop query and fragment', () => {
  assert.equal(stylesheetPath('/app.css?v=3#x'), '/app.css');
  assert.equal(stylesheetPath(undefined), '');
});

test('matching links', () => {
  const link = 'http://127.0.0.1:8099/css/app.css?lunette-reload=1';
  assert.equal(sameStylesheet(link, '/css/app.css', base), true);
  assert.equal(sameStylesheet(link, 'css/app.css', base), true);
  assert.equal(sameStylesheet(link, 'html/css/app.css', base), true);
  assert.equal(sameStylesheet(link, 'app.css', base), true);
  assert.equal(sameStylesheet(link, '/css/app.css?v=2', base), true);
  assert.equal(sameStylesheet(link, '/app.css', base), false);
  assert.equal(sameStylesheet(link, 'other.css', base), false);
  assert.equal(sameStylesheet(link, 'http://elsewhere/css/app.css', base), false);
  assert.equal(sameStylesheet(link, '', base), false);
});

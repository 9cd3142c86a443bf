import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { createSql } from '../src/db/client.js';

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    expect(loadConfig({})).toEqual({
      port: 3000,
      databaseUrl: undefined,
      dbPoolMax: 10,
      dbPrepare: false,
      dbConnectTimeoutSeconds: 2,
      sessionTtlSeconds: 14 * 24 * 60 * 60,
      loginAccountFailures: 10,
      loginAccountWindowSeconds: 900,
      loginAddressAttempts: 30,
      loginAddressWindowSeconds: 60,
      cookieSecure: false,
      allowedOrigins: [],
      logLevel: 'info',
      shutdownTimeoutMs: 8000,
      shutdownDelayMs: 0,
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '8081',
      DATABASE_URL: 'postgres://u:p@pgbouncer:6432/recipes',
      DB_POOL_MAX: '25',
      DB_PREPARE: 'true',
      SESSION_TTL_SECONDS: '3600',
      LOGIN_ACCOUNT_FAILURES: '5',
      LOGIN_ACCOUNT_WINDOW_SECONDS: '600',
      LOGIN_ADDRESS_ATTEMPTS: '100',
      LOGIN_ADDRESS_WINDOW_SECONDS: '30',
      COOKIE_SECURE: 'yes',
      ALLOWED_ORIGINS: 'https://App.Example.com, http://127.0.0.1:5173/',
      LOG_LEVEL: 'WARN',
      SHUTDOWN_TIMEOUT_MS: '1000',
      SHUTDOWN_DELAY_MS: '250',
    });
    expect(config).toMatchObject({
      port: 8081,
      databaseUrl: 'postgres://u:p@pgbouncer:6432/recipes',
      dbPoolMax: 25,
      dbPrepare: true,
      sessionTtlSeconds: 3600,
      loginAccountFailures: 5,
      loginAccountWindowSeconds: 600,
      loginAddressAttempts: 100,
      loginAddressWindowSeconds: 30,
      cookieSecure: true,
      allowedOrigins: ['https://app.example.com', 'http://127.0.0.1:5173'],
      logLevel: 'warn',
      shutdownTimeoutMs: 1000,
      shutdownDelayMs: 250,
    });
  });

  it.each([
    ['PORT', 'abc', /PORT must be a whole number/],
    ['PORT', '70000', /PORT must be between 0 and 65535/],
    ['DB_POOL_MAX', '0', /DB_POOL_MAX must be between 1 and 1000/],
    ['DB_POOL_MAX', '2.5', /DB_POOL_MAX must be a whole number/],
    ['DB_PREPARE', 'maybe', /DB_PREPARE must be true or false/],
    ['COOKIE_SECURE', 'si', /COOKIE_SECURE must be true or false/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL must be one of/],
    ['DATABASE_URL', 'mysql://x@y/z', /DATABASE_URL must start with postgres:\/\//],
    ['DATABASE_URL', 'not a url', /DATABASE_URL is not a URL/],
    ['SESSION_TTL_SECONDS', '5', /SESSION_TTL_SECONDS must be between/],
    ['LOGIN_ACCOUNT_FAILURES', '0', /LOGIN_ACCOUNT_FAILURES must be between 1 and/],
    ['LOGIN_ADDRESS_WINDOW_SECONDS', '1m', /LOGIN_ADDRESS_WINDOW_SECONDS must be a whole number/],
    ['ALLOWED_ORIGINS', 'https://app.example.com/login', /ALLOWED_ORIGINS must be origins such as/],
    ['ALLOWED_ORIGINS', 'app.example.com', /ALLOWED_ORIGINS must be origins such as .*"app.example.com"/],
    ['ALLOWED_ORIGINS', 'ftp://files.example.com', /ALLOWED_ORIGINS must be origins/],
  ])('rejects %s=%s naming the variable', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it('treats blank values as unset and takes SEED_PASSWORD as given', () => {
    expect(loadConfig({ PORT: '  ', LOG_LEVEL: '', DATABASE_URL: ' ', SEED_PASSWORD: '' })).toMatchObject({
      port: 3000,
      logLevel: 'info',
      databaseUrl: undefined,
      seedPassword: undefined,
    });
    expect(loadConfig({ SEED_PASSWORD: ' s3cret ' }).seedPassword).toBe(' s3cret ');
  });

  it('lets the pool, the one place that needs it, refuse a missing DATABASE_URL by name', () => {
    expect(() => createSql(loadConfig({}))).toThrow(ConfigError);
    expect(() => createSql(loadConfig({}))).toThrow(/DATABASE_URL is not set/);
  });
});

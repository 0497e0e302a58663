import request from 'supertest';
import { createTestApp, TestApp } from '../support/test-app';
import { bearer } from '../support/test-keys';

interface ModelSummary {
  id: string;
  name: string;
  class: string;
  vendor: boolean;
  covered: boolean;
  relaxedAvailable: boolean;
  defaultSpark: number;
  priceSource: string;
}

describe('catalog over HTTP', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  describe('GET /v1/models', () => {
    it.each(['gateway', 'dashboard'] as const)(
      'lists models and plans for a %s key',
      async (scope) => {
        const res = await request(t.server).get('/v1/models').set('authorization', bearer(scope));
        expect(res.status).toBe(200);
        const models = res.body.models as ModelSummary[];
        expect(models).toHaveLength(49);
        expect(models.find((m) => m.id === 'sdxl-1024')).toEqual({
          id: 'sdxl-1024',
          name: 'SDXL 1024 (community checkpoints)',
          class: 'image',
          vendor: false,
          covered: true,
          relaxedAvailable: true,
          defaultSpark: 1,
          priceSource: 'seed',
        });
        expect(models.find((m) => m.id === 'seedance-2-0')).toMatchObject({
          class: 'video',
          vendor: true,
          covered: false,
          relaxedAvailable: false,
          defaultSpark: 197.6832,
        });
        expect(res.body.plans).toEqual([
          {
            id: 'unlimited',
            name: 'Unlimited',
            prices: {
              month: { amountCents: 2000, currency: 'usd' },
              year: { amountCents: 19900, currency: 'usd' },
            },
            concurrency: { image: 4, video: 1, audio: null, llm: null, agent: null },
          },
          {
            id: 'unlimited_pro',
            name: 'Unlimited Pro',
            prices: {
              month: { amountCents: 5000, currency: 'usd' },
              year: { amountCents: 49800, currency: 'usd' },
            },
            concurrency: { image: 16, video: 4, audio: null, llm: null, agent: null },
          },
        ]);
      },
    );

    it('covers exactly the open models; the four vendor models are not covered', async () => {
      const res = await request(t.server).get('/v1/models').set('authorization', bearer('gateway'));
      const models = res.body.models as ModelSummary[];
      expect(
        models
          .filter((m) => !m.covered)
          .map((m) => m.id)
          .sort(),
      ).toEqual(['gpt-image-2', 'happyhorse-1-1', 'seedance-2-0', 'seedance-2-0-fast'].sort());
      for (const m of models) expect(m.covered).toBe(!m.vendor);
      for (const m of models) expect(m.defaultSpark).toBeGreaterThan(0);
    });

    it('needs a key (401) with the gateway or dashboard scope (403)', async () => {
      const none = await request(t.server).get('/v1/models');
      expect(none.status).toBe(401);
      expect(none.body.error.code).toBe('unauthenticated');
      const admin = await request(t.server).get('/v1/models').set('authorization', bearer('admin'));
      expect(admin.status).toBe(403);
      expect(admin.body.error.code).toBe('forbidden');
    });
  });

  describe('POST /v1/estimate', () => {
    const estimate = (body: object, scope: 'gateway' | 'dashboard' | 'admin' = 'gateway') =>
      request(t.server).post('/v1/estimate').set('authorization', bearer(scope)).send(body);

    it('estimates the default job of a model', async () => {
      const res = await estimate({ modelId: 'sdxl-1024' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ modelId: 'sdxl-1024', spark: 1, usd: 0.005 });
    });

    it('estimates with job parameters (dashboard key too)', async () => {
      const gpt = await estimate(
        {
          modelId: 'gpt-image-2',
          width: 1536,
          height: 1024,
          quality: 'high',
          count: 2,
          references: 2,
        },
        'dashboard',
      );
      expect(gpt.status).toBe(200);
      expect(gpt.body).toEqual({ modelId: 'gpt-image-2', spark: 126.3808, usd: 0.631904 });

      const v2v = await estimate({
        modelId: 'seedance-2-0',
        resolution: '1080p',
        durationSeconds: 5,
        videoReference: true,
        speed: 'fast',
      });
      expect(v2v.body).toEqual({ modelId: 'seedance-2-0', spark: 296.946, usd: 1.48473 });

      const relaxed = await estimate({ modelId: 'z-image-turbo', speed: 'relaxed', count: 2 });
      expect(relaxed.body).toEqual({ modelId: 'z-image-turbo', spark: 0.8, usd: 0.004 });

      const llm = await estimate({
        modelId: 'qwen3-6-35b-a3b',
        inputTokens: 10000,
        outputTokens: 2000,
      });
      expect(llm.body).toEqual({ modelId: 'qwen3-6-35b-a3b', spark: 0.96, usd: 0.0048 });

      const music = await estimate({
        modelId: 'ace-step-v1-5-sft',
        durationSeconds: 30,
        steps: 50,
      });
      expect(music.body).toEqual({ modelId: 'ace-step-v1-5-sft', spark: 1.74, usd: 0.0087 });
    });

    it('answers 422 unknown_model for a model not in the catalog', async () => {
      const res = await estimate({ modelId: 'sdxl-9000' });
      expect(res.status).toBe(422);
      expect(res.body).toEqual({
        error: { code: 'unknown_model', message: expect.stringContaining('sdxl-9000') },
      });
    });

    it.each([
      ['steps', { modelId: 'sdxl-1024', steps: 0 }],
      ['durationSeconds', { modelId: 'seedance-2-0-fast', durationSeconds: 16 }],
      ['resolution', { modelId: 'seedance-2-0-fast', resolution: '1080p' }],
      ['speed', { modelId: 'gpt-image-2', speed: 'relaxed' }],
      ['width', { modelId: 'gpt-image-2', width: 1000 }],
      ['references', { modelId: 'gpt-image-2', references: 17 }],
      ['count', { modelId: 'sdxl-1024', count: 0 }],
    ])('answers 400 invalid_job_parameter naming %s', async (parameter, body) => {
      const res = await estimate(body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_job_parameter');
      expect(res.body.error.message).toContain(parameter);
    });

    it.each([
      ['steps', { modelId: 'sdxl-1024', steps: '20' }],
      ['speed', { modelId: 'sdxl-1024', speed: 'turbo' }],
      ['videoReference', { modelId: 'seedance-2-0', videoReference: 'yes' }],
      ['modelId', { steps: 20 }],
      ['accountId', { modelId: 'sdxl-1024', accountId: 'acct_1' }],
    ])('answers 400 validation_failed naming %s for a malformed body', async (field, body) => {
      const res = await estimate(body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.message).toContain(field);
    });

    it('needs the gateway or dashboard scope', async () => {
      const res = await estimate({ modelId: 'sdxl-1024' }, 'admin');
      expect(res.status).toBe(403);
    });
  });

  it('documents both routes in the OpenAPI document', async () => {
    const res = await request(t.server).get('/docs-json').expect(200);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining(['/v1/models', '/v1/estimate']),
    );
  });
});

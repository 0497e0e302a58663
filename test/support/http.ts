import type { Response, Test } from 'supertest';

/** Awaits a supertest request and checks it failed with `status` and the error envelope of `code`. */
export async function expectError(req: Test, status: number, code: string): Promise<Response> {
  const res = await req;
  expect({ status: res.status, body: res.body }).toEqual({
    status,
    body: { error: { code, message: expect.any(String) } },
  });
  return res;
}

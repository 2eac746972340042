import { consoleCsp } from '../../src/console/console.csp';

/** Issue 17: the console's CSP allows Razorpay Checkout's origin, derived from the setting, and nothing else outside. */
describe("the console's Content-Security-Policy", () => {
  const directive = (csp: string, name: string) => csp.split('; ').find((d) => d.startsWith(`${name} `));

  it("allows Razorpay Checkout's script and its frames by default", () => {
    const csp = consoleCsp('https://checkout.razorpay.com/v1/checkout.js');
    expect(directive(csp, 'script-src')).toBe("script-src 'self' https://checkout.razorpay.com");
    expect(directive(csp, 'frame-src')).toBe('frame-src https://checkout.razorpay.com https://api.razorpay.com');
    expect(directive(csp, 'connect-src')).toBe("connect-src 'self'");
  });

  it('follows the setting: a stand-in origin is allowed, its path is not part of the rule', () => {
    const csp = consoleCsp('http://127.0.0.1:4567/v1/checkout.js');
    expect(directive(csp, 'script-src')).toBe("script-src 'self' http://127.0.0.1:4567");
    expect(directive(csp, 'frame-src')).toContain('http://127.0.0.1:4567');
  });

  it('allows no outside script or frame when payments are off', () => {
    const csp = consoleCsp(null);
    expect(directive(csp, 'script-src')).toBe("script-src 'self'");
    expect(directive(csp, 'frame-src')).toBe("frame-src 'none'");
  });
});

"""Independent reference answers for the kernels, computed a different way from the kernels."""

from shared.tally import BINS, Tally

# Known values: pi(10^6) and pi(10^7), and the last digits of the primes below 10^6.
PRIMES_BELOW_1E6 = 78_498
PRIMES_BELOW_1E7 = 664_579
LAST_DIGITS_BELOW_1E6 = [0, 19_617, 1, 19_665, 0, 1, 0, 19_621, 0, 19_593]


def sieve_tally(lo: int, hi: int) -> Tally:
    """Primes in [lo, hi) by a plain sieve of Eratosthenes over [0, hi)."""
    is_prime = bytearray([1]) * max(hi, 2)
    is_prime[0] = is_prime[1] = 0
    for p in range(2, int(hi**0.5) + 1):
        if is_prime[p]:
            is_prime[p * p :: p] = bytes(len(range(p * p, hi, p)))
    tally = Tally()
    for n in range(max(lo, 0), hi):
        if is_prime[n]:
            tally.count += 1
            tally.histogram[n % BINS] += 1
    return tally

namespace Backprop.Tests.Data;

/// <summary>
/// The Mersenne Twister MT19937 (Matsumoto and Nishimura, 1998), written from its definition as an oracle for torch's
/// CPU generator, which is MT19937 seeded with <c>init_genrand(seed)</c>. PyTorch's <c>random64()</c> joins two draws,
/// the first as the high half.
/// </summary>
internal sealed class Mt19937
{
    private const int N = 624, M = 397;
    private readonly uint[] _mt = new uint[N];
    private int _i = N;

    public Mt19937(uint seed)
    {
        _mt[0] = seed;
        for (var i = 1; i < N; i++) _mt[i] = 1812433253u * (_mt[i - 1] ^ (_mt[i - 1] >> 30)) + (uint)i;
    }

    public uint Next()
    {
        if (_i == N) Twist();
        var y = _mt[_i++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680u;
        y ^= (y << 15) & 0xefc60000u;
        return y ^ (y >> 18);
    }

    /// <summary>PyTorch's <c>random64()</c>: (first draw &lt;&lt; 32) | second draw.</summary>
    private ulong Next64() => ((ulong)Next() << 32) | Next();

    /// <summary>PyTorch's <c>random_()</c> on an int64 tensor: <c>random64() % 2^63</c>, the seeds its data loading draws.</summary>
    public long NextSeed() => (long)(Next64() % (1UL << 63));

    private void Twist()
    {
        for (var k = 0; k < N; k++)
        {
            var y = (_mt[k] & 0x80000000u) | (_mt[(k + 1) % N] & 0x7fffffffu);
            _mt[k] = _mt[(k + M) % N] ^ (y >> 1) ^ ((y & 1) == 0 ? 0u : 0x9908b0dfu);
        }
        _i = 0;
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Backprop.Data;

/// <summary>MNIST's pixel scaling: byte / 256 as float32, exactly the values of the course's <c>mnist.pkl.gz</c>.</summary>
internal static class PixelScaling
{
    /// <summary>1/256: a power of two, so <c>b * Scale</c> is exactly <c>b / 256f</c>.</summary>
    public const float Scale = 1f / 256;

    /// <summary>Writes <c>pixels[i] / 256</c> to <c>floats[i]</c>, 32 pixels at a time where the CPU allows.</summary>
    /// <param name="pixels">Bytes 0 to 255.</param>
    /// <param name="floats">As long as <paramref name="pixels"/>.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs once per load: tier-0 code would be many times slower
    public static void ToUnitFloats(ReadOnlySpan<byte> pixels, Span<float> floats)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(floats.Length, pixels.Length, nameof(floats));
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var scale = Vector256.Create(Scale);
            for (; i <= pixels.Length - Vector256<byte>.Count; i += Vector256<byte>.Count)
            {
                // byte → ushort → uint (exact), → float, × 1/256 (exact).
                var (lo, hi) = Vector256.Widen(Vector256.Create(pixels.Slice(i, Vector256<byte>.Count)));
                var (a, b) = Vector256.Widen(lo);
                var (c, d) = Vector256.Widen(hi);
                var dst = floats.Slice(i, Vector256<byte>.Count);
                (Vector256.ConvertToSingle(a.AsInt32()) * scale).CopyTo(dst);
                (Vector256.ConvertToSingle(b.AsInt32()) * scale).CopyTo(dst[8..]);
                (Vector256.ConvertToSingle(c.AsInt32()) * scale).CopyTo(dst[16..]);
                (Vector256.ConvertToSingle(d.AsInt32()) * scale).CopyTo(dst[24..]);
            }
        }
        for (; i < pixels.Length; i++) floats[i] = pixels[i] * Scale;
    }
}

using static TorchSharp.torch;

namespace Backprop.Data;

/// <summary>
/// PyTorch's <c>int(torch.empty((), dtype=torch.int64).random_(generator=g).item())</c>: one 64-bit draw from a torch
/// generator, in [0, 2^63). PyTorch's <c>DataLoader</c> and <c>RandomSampler</c> seed themselves this way, so drawing
/// the same numbers at the same moments keeps a C# run on the random stream of the PyTorch program it ports.
/// </summary>
public static class TorchSeed
{
    // TorchSharp's random_ takes a [from, to) range. [-2^62, 2^62) is 2^63 wide, so ATen draws one random64() and
    // returns random64() % 2^63 - 2^62: the plain random_()'s random64() % 2^63, shifted by 2^62.
    private const long Half = 1L << 62;

    /// <summary>One draw from <paramref name="generator"/>, or from torch's default generator (seeded by <c>torch.manual_seed</c>).</summary>
    /// <returns>A seed in [0, 2^63): what PyTorch's <c>random_()</c> returns for an int64 tensor from the same generator state.</returns>
    public static long Draw(Generator? generator = null)
    {
        using var scope = NewDisposeScope();
        var t = empty([], ScalarType.Int64).random_(-Half, Half, generator);
        return t.item<long>() + Half;
    }
}

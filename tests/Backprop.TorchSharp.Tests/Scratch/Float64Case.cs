using static TorchSharp.torch;

namespace Backprop.Tests.Scratch;

/// <summary>A float64 problem of random small shapes, drawn from its own generator: one per seed.</summary>
internal sealed class Float64Case : IDisposable
{
    private readonly Generator _gen;

    /// <param name="seed">Draws the shapes and the values.</param>
    /// <param name="small">Shapes small enough for finite differences (an evaluation per element).</param>
    public Float64Case(int seed, bool small = false)
    {
        _gen = new Generator((ulong)seed);
        var rng = new Random(seed);
        (N, NIn, Nh, C) = small
            ? (rng.Next(1, 9), rng.Next(1, 11), rng.Next(1, 9), rng.Next(2, 7))
            : (rng.Next(1, 33), rng.Next(1, 41), rng.Next(1, 21), rng.Next(2, 13));
        Nh2 = small ? rng.Next(1, 9) : rng.Next(1, 21); // drawn last: the shapes above stay what they were
    }

    /// <summary>The seeds every float64 autograd theory runs over.</summary>
    public static TheoryData<int> Seeds => [1, 2, 3, 4, 5, 6];

    /// <summary>The seeds every finite-difference theory runs over.</summary>
    public static TheoryData<int> FdSeeds => [1, 2, 3];

    public int N { get; }
    public int NIn { get; }
    public int Nh { get; }
    public int C { get; }

    /// <summary>A second hidden width, for a model with two hidden layers (NIn-Nh-Nh2-C).</summary>
    public int Nh2 { get; }

    public Tensor Randn(params long[] shape) => randn(shape, ScalarType.Float64, generator: _gen);

    /// <summary>N class indices in [0, C).</summary>
    public Tensor Classes() => randint(C, [N], ScalarType.Int64, generator: _gen);

    public void Dispose() => _gen.Dispose();
}

using Backprop.Data;
using static TorchSharp.torch;

namespace Backprop.Tests.Data;

public sealed class TorchSeedTests
{
    [Fact]
    public void The_oracle_is_the_standard_mt19937()
    {
        // The C++ standard's check for std::mt19937: default seed 5489, the 10000th draw is 4123659995.
        var mt = new Mt19937(5489);
        for (var i = 1; i < 10000; i++) mt.Next();

        Assert.Equal(4123659995u, mt.Next());
        Assert.Equal(1791095845u, new Mt19937(1).Next());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(42)]
    [InlineData(4_000_000_000)]
    public void A_draw_is_pytorch_s_int64_random_from_the_default_generator(long seed)
    {
        var mt = new Mt19937((uint)seed);
        manual_seed(seed);

        var draws = Enumerable.Range(0, 700).Select(_ => TorchSeed.Draw()).ToArray(); // past one twist of the state

        Assert.Equal(Enumerable.Range(0, 700).Select(_ => mt.NextSeed()), draws);
    }

    [Fact]
    public void A_generator_of_its_own_draws_the_same_and_leaves_the_default_alone()
    {
        using var g = new Generator(7);
        manual_seed(1);

        var own = TorchSeed.Draw(g);
        var fromDefault = TorchSeed.Draw();

        Assert.Equal(new Mt19937(7).NextSeed(), own);
        Assert.Equal(new Mt19937(1).NextSeed(), fromDefault);
    }
}

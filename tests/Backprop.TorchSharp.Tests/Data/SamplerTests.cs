using Backprop.Data;
using static TorchSharp.torch;

namespace Backprop.Tests.Data;

public sealed class SamplerTests
{
    [Fact]
    public void Unshuffled_is_the_identity_with_no_tensor()
    {
        var sampler = new Sampler(5);

        Assert.Null(sampler.Order());
        Assert.Equal([0L, 1, 2, 3, 4], sampler);
    }

    [Fact]
    public void Shuffled_is_a_new_permutation_every_epoch()
    {
        var sampler = new Sampler(1000, shuffle: true);

        var first = sampler.ToArray();
        var second = sampler.ToArray();

        Assert.Equal(Enumerable.Range(0, 1000).Select(i => (long)i), first.Order());
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => (long)i), second.Order());
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void From_the_default_generator_the_order_is_pytorch_s_random_sampler()
    {
        // PyTorch's RandomSampler without a generator: seed = int64 random_() from the default generator, then
        // torch.randperm(n, generator=torch.Generator().manual_seed(seed)).
        var sampler = new Sampler(1000, shuffle: true);
        var seeds = new Mt19937(1);
        using var g1 = new Generator((ulong)seeds.NextSeed());
        using var g2 = new Generator((ulong)seeds.NextSeed());
        using var expected1 = randperm(1000, generator: g1);
        using var expected2 = randperm(1000, generator: g2);

        var epochs = Epochs(sampler, 2, seed: 1);

        Assert.Equal(expected1.data<long>().ToArray(), epochs[0]);
        Assert.Equal(expected2.data<long>().ToArray(), epochs[1]);
    }

    [Fact]
    public void The_seed_makes_the_order_reproducible()
    {
        var sampler = new Sampler(1000, shuffle: true);

        Assert.Equal(Epochs(sampler, 3, seed: 5), Epochs(sampler, 3, seed: 5));
        Assert.NotEqual(Epochs(sampler, 1, seed: 5)[0], Epochs(sampler, 1, seed: 6)[0]);
    }

    [Fact]
    public void With_a_generator_of_its_own_the_order_is_that_generator_s_randperm()
    {
        using var g = new Generator(7);
        using var twin = new Generator(7);
        using var expected = randperm(100, generator: twin);

        using var order = new Sampler(100, shuffle: true, generator: g).Order()!;

        Assert.True(order.Equals(expected));
    }

    [Fact]
    public void A_generator_of_its_own_leaves_the_global_one_alone()
    {
        using var g1 = new Generator(7);
        using var g2 = new Generator(7);
        var ours = new Sampler(100, shuffle: true, generator: g1);
        var twin = new Sampler(100, shuffle: true, generator: g2);

        manual_seed(1);
        var a = ours.ToArray();
        using var globalAfter = rand(3);
        manual_seed(2);
        var b = twin.ToArray();
        manual_seed(1);
        using var globalAlone = rand(3);

        Assert.Equal(a, b);
        Assert.True(globalAfter.Equals(globalAlone));
    }

    [Fact]
    public void A_dataset_gives_its_count_and_negative_counts_are_refused()
    {
        using var x = zeros(7, 2);
        using var y = zeros(7);

        Assert.Equal(7, new Sampler(new Dataset(x, y)).Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sampler(-1));
    }

    private static List<long[]> Epochs(Sampler sampler, int epochs, int seed)
    {
        manual_seed(seed);
        return [.. Enumerable.Range(0, epochs).Select(_ => sampler.ToArray())];
    }
}

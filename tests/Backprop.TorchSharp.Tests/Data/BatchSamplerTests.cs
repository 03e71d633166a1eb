using Backprop.Data;
using static TorchSharp.torch;

namespace Backprop.Tests.Data;

public sealed class BatchSamplerTests
{
    [Fact]
    public void Unshuffled_batches_are_contiguous_runs_and_the_last_is_shorter()
    {
        var batchs = new BatchSampler(new Sampler(10), 3);

        var batches = batchs.ToList();

        Assert.Equal(4, batchs.Count);
        Assert.Equal([(0L, 3L), (3, 3), (6, 3), (9, 1)], batches.Select(b => (b.Start, b.Count)));
        Assert.All(batches, b => Assert.Null(b.Index));
    }

    [Fact]
    public void Drop_last_drops_the_short_batch()
    {
        var batchs = new BatchSampler(new Sampler(10, shuffle: true), 3, dropLast: true);

        var batches = batchs.ToList();

        Assert.Equal(3, batchs.Count);
        Assert.Equal([3L, 3, 3], batches.Select(b => b.Count));
        Assert.Equal(9, batches.SelectMany(b => b.ToArray()).Distinct().Count());
        Assert.Equal(2, new BatchSampler(new Sampler(10), 5, dropLast: true).Count);
    }

    [Fact]
    public void Shuffled_batches_cover_every_sample_once_in_the_epoch_s_order()
    {
        using var g = new Generator(1);
        using var twin = new Generator(1);
        var batchs = new BatchSampler(new Sampler(103, shuffle: true, generator: g), 10);
        using var order = randperm(103, generator: twin);

        var indices = batchs.SelectMany(b => b.ToArray()).ToArray();

        Assert.Equal(order.data<long>().ToArray(), indices);
        Assert.Equal(11, batchs.Count);
    }

    [Fact]
    public void The_order_is_drawn_when_the_epoch_is_asked_for_not_when_it_is_consumed()
    {
        var batchs = new BatchSampler(new Sampler(20, shuffle: true), 5);
        manual_seed(1);
        using var expected = batchs.Sampler.Order()!;

        manual_seed(1);
        var epoch = batchs.Epoch();
        manual_seed(99);
        var indices = epoch.SelectMany(b => b.ToArray()).ToArray();

        Assert.Equal(expected.data<long>().ToArray(), indices);
    }

    [Fact]
    public void A_batch_size_must_be_positive()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchSampler(new Sampler(10), 0));
    }
}

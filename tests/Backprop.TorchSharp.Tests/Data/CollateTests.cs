using Backprop.Data;
using static TorchSharp.torch;

namespace Backprop.Tests.Data;

[Collection(MnistGroup.Name)]
public sealed class CollateTests(MnistFixture data)
{
    [Fact]
    public void Gather_gives_the_lesson_s_stacked_batch_in_one_op_per_tensor()
    {
        var ds = data.TrainDs;
        using var scope = NewDisposeScope();
        manual_seed(1);
        var b = new BatchSampler(new Sampler(ds, shuffle: true), 50).First();

        var (xb, yb) = Collate.Gather(ds, b);
        var (xs, ys) = Collate.Stack(b.ToArray().Select(i => ds[i]));

        Assert.Equal([50L, 784], xb.shape);
        Assert.True(xb.Equals(xs));
        Assert.True(yb.Equals(ys));
    }

    [Fact]
    public void Gather_of_a_contiguous_batch_is_the_slice()
    {
        var ds = data.TrainDs;
        using var scope = NewDisposeScope();

        var (xb, yb) = Collate.Gather(ds, new BatchIndices(100, 50, null));

        Assert.True(xb.Equals(data.Mnist.XTrain[100..150]));
        Assert.True(yb.Equals(data.Mnist.YTrain[100..150]));
    }

    [Fact]
    public void Stack_needs_a_sample()
    {
        Assert.Throws<ArgumentException>(() => Collate.Stack([]));
    }
}

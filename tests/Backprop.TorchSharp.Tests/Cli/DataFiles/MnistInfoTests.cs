using Backprop.Cli.DataFiles;
using Backprop.Data;

namespace Backprop.Tests.Cli.DataFiles;

public sealed class MnistInfoTests
{
    [Fact]
    public void Summarizes_the_pickle_fixture()
    {
        using var m = MnistPickle.Load(Repo.Fixture("mnist-small.pkl.gz"));

        var info = MnistInfo.Of(m);

        Assert.Equal(Repo.Fixture("mnist-small.pkl.gz"), info.Source);
        Assert.Equal([5L, 784], info.Splits[0].XShape);
        Assert.Equal([3L], info.Splits[1].YShape);
        Assert.Equal([2L, 784], info.Splits[2].XShape);
        // train labels 5, 0, 4, 1, 9; valid 3, 8, 6; test 7, 2.
        Assert.Equal([1L, 1, 0, 0, 1, 1, 0, 0, 0, 1], info.Splits[0].LabelCounts);
        Assert.Equal([0L, 0, 0, 1, 0, 0, 1, 0, 1, 0], info.Splits[1].LabelCounts);
        Assert.Equal([0L, 0, 1, 0, 0, 0, 0, 1, 0, 0], info.Splits[2].LabelCounts);
        Assert.All(info.Splits, s => Assert.Equal(0f, s.XMin));
        Assert.All(info.Splits, s => Assert.InRange(s.XMax, 0.9f, 0.99609375f));
    }
}

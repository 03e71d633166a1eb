using Backprop.Data;
using static TorchSharp.torch;

namespace Backprop.Tests.Data;

public sealed class BatchIndicesTests
{
    [Fact]
    public void A_contiguous_batch_lists_its_run()
    {
        Assert.Equal([10L, 11, 12], new BatchIndices(10, 3, null).ToArray());
    }

    [Fact]
    public void A_shuffled_batch_lists_its_index_tensor()
    {
        using var idx = tensor(new long[] { 7, 2, 9 });

        Assert.Equal([7L, 2, 9], new BatchIndices(0, 3, idx).ToArray());
    }
}

using Backprop.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Backprop.Tests.Data;

[Collection(MnistGroup.Name)]
public sealed class DataLoadersTests(MnistFixture data)
{
    [Fact]
    public void GetDls_shuffles_training_and_validates_in_order_with_twice_the_batch()
    {
        using var dls = DataLoaders.GetDls(data.TrainDs, data.ValidDs, 50);

        Assert.Equal(50, dls.Train.Batchs.Bs);
        Assert.True(dls.Train.Batchs.Sampler.Shuffle);
        Assert.Equal(1000, dls.Train.Count);
        Assert.Equal(100, dls.Valid.Batchs.Bs);
        Assert.False(dls.Valid.Batchs.Sampler.Shuffle);
        Assert.Equal(100, dls.Valid.Count);
        var (xb, yb) = dls.Valid.First();
        using (xb)
        using (yb)
            Assert.Equal([3L, 8, 6], yb[..3].data<long>().ToArray());
    }

    [Fact]
    public void A_batch_size_must_be_positive()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => DataLoaders.GetDls(data.TrainDs, data.ValidDs, 0));
    }

    [CudaFact]
    public void On_cuda_both_loaders_batch_on_the_device()
    {
        using var dls = DataLoaders.GetDls(data.TrainDs, data.ValidDs, 50, CUDA);

        Assert.Equal(DeviceType.CUDA, dls.Train.Device.type);
        Assert.Equal(DeviceType.CUDA, dls.Valid.Device.type);
    }
}

using Backprop.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Backprop.Tests.Data;

[Collection(MnistGroup.Name)]
public sealed class DatasetTests(MnistFixture data)
{
    [Fact]
    public void A_range_is_the_lesson_s_train_ds_0_5()
    {
        var ds = data.TrainDs;
        using var scope = NewDisposeScope();

        var (xb, yb) = ds[0..5];

        Assert.Equal(50000, ds.Count);
        Assert.Equal([5L, 784], xb.shape);
        Assert.Equal([5L, 0, 4, 1, 9], yb.data<long>().ToArray()); // lesson 04, cell 22
        Assert.True(xb.Equals(data.Mnist.XTrain[..5]));
    }

    [Fact]
    public void An_int_is_one_sample()
    {
        var ds = data.TrainDs;
        using var scope = NewDisposeScope();

        var (x, y) = ds[2];

        Assert.Equal([784L], x.shape);
        Assert.Equal(4L, y.item<long>());
        Assert.True(x.Equals(data.Mnist.XTrain[2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => ds[50000]);
        Assert.Throws<ArgumentOutOfRangeException>(() => ds[-1]);
    }

    [Fact]
    public void An_index_tensor_gathers_those_samples_in_that_order()
    {
        var ds = data.TrainDs;
        using var scope = NewDisposeScope();
        var idx = tensor(new long[] { 4, 0, 49999, 2 });

        var (xb, yb) = ds[idx];

        Assert.Equal([4L, 784], xb.shape);
        Assert.Equal([9L, 5, data.Mnist.YTrain[49999].item<long>(), 4], yb.data<long>().ToArray());
        Assert.True(xb[2].Equals(data.Mnist.XTrain[49999]));
    }

    [Fact]
    public void A_slice_is_a_view_and_an_index_is_a_copy()
    {
        using var scope = NewDisposeScope();
        var ds = new Dataset(arange(6, dtype: ScalarType.Float32).reshape(3, 2), arange(3));

        var (view, _) = ds.Slice(1, 2);
        var (copy, _) = ds[tensor(new long[] { 1, 2 })];
        view.add_(10);
        copy.add_(100);

        Assert.Equal([0f, 1, 12, 13, 14, 15], ds.X.flatten().data<float>().ToArray());
    }

    [Fact]
    public void Bad_inputs_are_refused_with_what_is_wrong()
    {
        using var scope = NewDisposeScope();
        var e = Assert.Throws<ArgumentException>(() => new Dataset(zeros(3, 2), zeros(4)));
        Assert.Contains("same number of samples", e.Message);

        var ds = new Dataset(zeros(3, 2), zeros(3));
        Assert.Contains("int64 or int32", Assert.Throws<ArgumentException>(() => ds[tensor(new float[] { 0 })]).Message);
        Assert.Contains("one-dimensional", Assert.Throws<ArgumentException>(() => ds[zeros(new long[] { 1, 1 }, ScalarType.Int64)]).Message);
    }

    [Fact]
    public void To_makes_a_copy_the_caller_owns()
    {
        using var scope = NewDisposeScope();
        var ds = new Dataset(zeros(3, 2), zeros(3));

        var copy = ds.To(CPU);
        copy.X.add_(1);

        Assert.True(copy.IsOn(CPU));
        Assert.Equal(0f, ds.X.sum().item<float>());
    }

    [CudaFact]
    public void To_cuda_moves_both_tensors()
    {
        using var scope = NewDisposeScope();
        var ds = data.ValidDs.To(CUDA);

        Assert.Equal(DeviceType.CUDA, ds.X.device.type);
        Assert.Equal(DeviceType.CUDA, ds.Y.device.type);
        Assert.True(ds.IsOn(new Device("cuda:0")));
        Assert.True(ds[0..5].yb.cpu().Equals(data.Mnist.YValid[..5]));
    }
}

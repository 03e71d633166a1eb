using Backprop.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Backprop.Tests.Training;

public sealed class MlpTests(MnistFixture data) : IClassFixture<MnistFixture>
{
    [Fact]
    public void Registers_its_fields_as_the_lesson_lists_them()
    {
        using var model = new Mlp(784, 50, 10);

        // Lesson 04, cell 11: list(model.named_children()).
        Assert.Equal(["l1", "l2", "relu"], model.named_children().Select(c => c.name));
        Assert.Equal([[50L, 784], [50], [10, 50], [10]], model.parameters().Select(p => p.shape));
    }

    [Fact]
    public void Trains_through_its_parameters()
    {
        manual_seed(1);
        using var model = new Mlp(784, 50, 10);

        var reports = ParametersLoop.Fit(model, data.Mnist.XTrain, data.Mnist.YTrain, epochs: 3);

        Assert.All(reports, r => Assert.True(r.Loss < 0.5));
        Assert.True(data.ValidAccuracy(model.call) > 0.95);
    }

    [CudaFact]
    public void Moves_to_cuda_when_asked()
    {
        using var model = new Mlp(784, 50, 10, CUDA);

        Assert.All(model.parameters(), p => Assert.Equal(DeviceType.CUDA, p.device.type));
    }
}

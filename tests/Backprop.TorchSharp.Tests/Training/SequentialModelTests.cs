using Backprop.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Backprop.Tests.Training;

public sealed class SequentialModelTests(MnistFixture data) : IClassFixture<MnistFixture>
{
    [Fact]
    public void A_module_list_registers_every_layer()
    {
        using var model = new SequentialModel([nn.Linear(784, 50), nn.ReLU(), nn.Linear(50, 10)]);

        Assert.Equal(["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"], model.named_parameters().Select(p => p.name));
        Assert.Equal(3, model.Layers.Count);
    }

    [Fact]
    public void Trains_through_its_parameters()
    {
        manual_seed(1);
        using var model = new SequentialModel([nn.Linear(784, 50), nn.ReLU(), nn.Linear(50, 10)]);

        ParametersLoop.Fit(model, data.Mnist.XTrain, data.Mnist.YTrain, epochs: 3);

        Assert.True(data.ValidAccuracy(model.call) > 0.95);
    }

    [CudaFact]
    public void Moves_to_cuda_when_asked()
    {
        using var model = new SequentialModel([nn.Linear(784, 50), nn.ReLU(), nn.Linear(50, 10)], CUDA);

        Assert.All(model.parameters(), p => Assert.Equal(DeviceType.CUDA, p.device.type));
    }
}

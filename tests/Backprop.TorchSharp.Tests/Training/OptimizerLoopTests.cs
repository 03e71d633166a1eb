using Backprop.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Backprop.Tests.Training;

public sealed class OptimizerLoopTests(MnistFixture data) : IClassFixture<MnistFixture>
{
    [Fact]
    public void Trains_with_the_hand_written_optimizer()
    {
        manual_seed(1);
        using var model = nn.Sequential(nn.Linear(784, 50), nn.ReLU(), nn.Linear(50, 10));

        var reports = OptimizerLoop.Fit(model, new Optimizer(model.parameters()), data.Mnist.XTrain, data.Mnist.YTrain, epochs: 3);

        Assert.All(reports, r => Assert.True(r.Loss < 0.5));
        Assert.True(data.ValidAccuracy(model.call) > 0.95);
    }

    [Fact]
    public void Trains_with_optim_SGD_from_GetModel()
    {
        manual_seed(1);
        var (model, opt) = Models.GetModel();
        using (model)
        using (opt)
        {
            OptimizerLoop.Fit(model, opt, data.Mnist.XTrain, data.Mnist.YTrain, epochs: 3);

            Assert.True(data.ValidAccuracy(model.call) > 0.95);
        }
    }

    [CudaFact]
    public void Trains_on_cuda()
    {
        manual_seed(1);
        var (model, opt) = Models.GetModel(device: CUDA);
        using var x = data.Mnist.XTrain.cuda();
        using var y = data.Mnist.YTrain.cuda();
        using (model)
        using (opt)
        {
            OptimizerLoop.Fit(model, opt, x, y, epochs: 1);

            Assert.True(data.ValidAccuracy(model.call, CUDA) > 0.93);
        }
    }
}

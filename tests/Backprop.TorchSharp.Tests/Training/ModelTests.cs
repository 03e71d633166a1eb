using Backprop.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Backprop.Tests.Training;

public sealed class ModelTests(MnistFixture data) : IClassFixture<MnistFixture>
{
    [Fact]
    public void With_seed_1_the_first_predictions_are_the_course_s()
    {
        manual_seed(1);
        using var model = new Model(784, 50, 10);
        using var scope = NewDisposeScope();

        var preds = model.call(data.Mnist.XTrain[..50]);

        // Lesson 04, cell 4: preds[0] with torch.manual_seed(1), printed to 2 decimals.
        double[] course = [-0.09, -0.21, -0.08, 0.10, -0.04, 0.08, -0.04, -0.03, 0.01, 0.06];
        Assert.Equal([50L, 10], preds.shape);
        var ours = preds[0].data<float>().ToArray();
        for (var i = 0; i < 10; i++) Assert.Equal(course[i], ours[i], 0.005 + 1e-6);
    }

    [Fact]
    public void With_seed_1_the_first_report_is_the_course_s()
    {
        manual_seed(1);
        using var model = new Model(784, 50, 10);
        using var scope = NewDisposeScope();
        var (xb, yb) = (data.Mnist.XTrain[..50], data.Mnist.YTrain[..50]);

        var preds = model.call(xb);

        // Lesson 04: report(loss_func(preds, yb), preds, yb) before training prints 2.30, 0.08.
        Assert.Equal("2.30, 0.08", Report.Of(LossFunc.CrossEntropy(preds, yb), preds, yb).ToString());
    }

    [Fact]
    public void The_layers_in_a_plain_list_are_not_registered()
    {
        using var model = new Model(784, 50, 10);

        Assert.Empty(model.parameters());
        Assert.Collection(model.Layers,
            l => Assert.Equal([50L, 784], ((Linear)l).weight!.shape),
            l => Assert.IsType<ReLU>(l),
            l => Assert.Equal([10L, 50], ((Linear)l).weight!.shape));
    }

    [Fact]
    public void Predicts_every_training_image()
    {
        using var model = new Model(784, 50, 10);
        using var pred = model.call(data.Mnist.XTrain);

        Assert.Equal([50000L, 10], pred.shape);
    }

    [CudaFact]
    public void Lives_on_cuda_when_asked()
    {
        manual_seed(1);
        using var onCpu = new Model(784, 50, 10);
        manual_seed(1);
        using var onCuda = new Model(784, 50, 10, CUDA);
        using var scope = NewDisposeScope();
        var x = data.Mnist.XTrain[..50];

        var preds = onCuda.call(x.cuda());

        Assert.Equal(DeviceType.CUDA, preds.device.type);
        Assert.True(preds.cpu().allclose(onCpu.call(x), rtol: 1e-4, atol: 1e-5));
    }
}

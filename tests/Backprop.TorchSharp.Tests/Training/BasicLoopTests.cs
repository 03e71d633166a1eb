using Backprop.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Backprop.Tests.Training;

public sealed class BasicLoopTests(MnistFixture data) : IClassFixture<MnistFixture>
{
    [Fact]
    public void Prints_what_the_course_prints_and_learns_to_classify()
    {
        manual_seed(1);
        using var model = new Model(784, 50, 10);

        var reports = BasicLoop.Fit(model, data.Mnist.XTrain, data.Mnist.YTrain, lr: 0.5, epochs: 3, bs: 50);

        // Lesson 04, cell 6, with torch.manual_seed(1) prints 0.12, 0.98 / 0.12, 0.94 / 0.08, 0.96: the loss and accuracy of
        // each epoch's last batch of 50. The same weights and batches give those digits exactly at 2 intra-op threads on the
        // development machine; float summation order (thread count, CPU) moves the last digit, so the test allows for it.
        (double Loss, double Accuracy)[] course = [(0.12, 0.98), (0.12, 0.94), (0.08, 0.96)];
        Assert.Equal(3, reports.Count);
        foreach (var (ours, theirs) in reports.Zip(course))
        {
            Assert.Equal(theirs.Loss, ours.Loss, 0.05);
            Assert.Equal(theirs.Accuracy, ours.Accuracy, 0.041);
        }
        Assert.True(data.ValidAccuracy(model.call) > 0.95);
    }

    [Fact]
    public void Update_steps_each_layer_with_weights_and_zeroes_its_grads()
    {
        manual_seed(1);
        using var model = new Model(4, 3, 2);
        using var scope = NewDisposeScope();
        var l1 = (Linear)model.Layers[0];
        var before = l1.weight!.detach().clone();
        LossFunc.CrossEntropy(model.call(rand(5, 4)), tensor(new long[] { 0, 1, 0, 1, 1 })).backward();
        var grad = l1.weight.grad!.clone();

        BasicLoop.Update(model.Layers, 0.5);

        Assert.True(l1.weight.allclose(before - grad * 0.5, rtol: 0, atol: 1e-7));
        Assert.Equal(0f, l1.weight.grad!.abs().sum().item<float>());
        Assert.Equal(0f, ((Linear)model.Layers[2]).bias!.grad!.abs().sum().item<float>());
    }

    [CudaFact]
    public void Trains_on_cuda()
    {
        manual_seed(1);
        using var model = new Model(784, 50, 10, CUDA);
        using var x = data.Mnist.XTrain.cuda();
        using var y = data.Mnist.YTrain.cuda();

        var reports = BasicLoop.Fit(model, x, y, epochs: 1);

        Assert.Single(reports);
        Assert.True(data.ValidAccuracy(model.call, CUDA) > 0.93);
    }
}

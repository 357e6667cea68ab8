from awsmon.cli import main

main()
